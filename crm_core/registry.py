"""The operation registry: every CRM action defined once, reached by the NLU, slash commands
and buttons alike. Arguments are untrusted until the input model has validated them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from crm_core import audit
from crm_core.context import OperationContext
from crm_core.errors import Forbidden, InvalidInput, UnknownOperation
from crm_core.models import Role


class OperationInput(BaseModel):
    """Base of every operation's arguments. Unknown arguments are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # The field that receives the free text of a slash command (``/show_contact Marie``).
    positional: ClassVar[str | None] = None


@dataclass(frozen=True)
class Confirmation:
    """A destructive call waiting for the user's yes: ``args`` are the exact, resolved
    arguments that will run; ``summary`` describes what will be lost."""

    operation: str
    args: dict[str, Any]
    summary: Any


Runner = Callable[[OperationContext, Any], Awaitable[Any]]
Previewer = Callable[[OperationContext, Any], Awaitable[Confirmation]]


@dataclass(frozen=True)
class Operation:
    name: str
    input_model: type[OperationInput]
    run: Runner
    writes: bool
    preview: Previewer | None = None  # set for destructive operations
    roles: frozenset[Role] = frozenset(Role)

    @property
    def destructive(self) -> bool:
        return self.preview is not None

    @property
    def description(self) -> str:
        return (self.input_model.__doc__ or "").strip()


def operation(
    name: str,
    input_model: type[OperationInput],
    *,
    writes: bool,
    preview: Previewer | None = None,
    roles: Iterable[Role] = tuple(Role),
) -> Callable[[Runner], Operation]:
    """Declare a function ``(ctx, args) -> result`` as the operation ``name``."""

    def declare(run: Runner) -> Operation:
        return Operation(name, input_model, run, writes, preview, frozenset(roles))

    return declare


def validation_problems(error: ValidationError) -> list[tuple[str, str, dict[str, Any]]]:
    """(field, code, params) for each problem, for a translated message per field."""
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "input"
        params = dict(item.get("ctx") or {})
        params.pop("error", None)
        problems.append((field, item["type"], params))
    return problems


class Registry:
    def __init__(self, operations: Iterable[Operation]) -> None:
        self._operations = {op.name: op for op in operations}

    @classmethod
    def from_modules(cls, *modules: ModuleType) -> Registry:
        return cls(
            value
            for module in modules
            for value in vars(module).values()
            if isinstance(value, Operation)
        )

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._operations.values())

    def __contains__(self, name: object) -> bool:
        return name in self._operations

    def get(self, name: str) -> Operation:
        try:
            return self._operations[name]
        except KeyError:
            raise UnknownOperation(name) from None

    def validate(self, ctx: OperationContext, name: str, raw_args: dict[str, Any]) -> Any:
        op = self.get(name)
        try:
            return op.input_model.model_validate(raw_args, context=ctx.validation_context())
        except ValidationError as error:
            raise InvalidInput(validation_problems(error)) from None

    async def execute(
        self,
        ctx: OperationContext,
        name: str,
        raw_args: dict[str, Any],
        *,
        confirmed: bool = False,
    ) -> Any:
        """Validate, authorise and run one operation in one transaction.

        A destructive operation that is not ``confirmed`` returns a :class:`Confirmation`
        and changes nothing.
        """
        op = self.get(name)
        if ctx.actor.role not in op.roles:
            raise Forbidden(name)
        args = self.validate(ctx, name, raw_args)
        if ctx.deferred:
            async with ctx.session.begin_nested():
                result = await self._run(op, ctx, args, confirmed)
                self._audit(op, ctx, result)
                return result
        try:
            result = await self._run(op, ctx, args, confirmed)
            self._audit(op, ctx, result)
            if op.writes:
                await ctx.session.commit()
            return result
        except BaseException:
            await ctx.session.rollback()
            raise

    @staticmethod
    def _audit(op: Operation, ctx: OperationContext, result: Any) -> None:
        """A write that succeeded leaves an entry, in its own transaction."""
        if op.writes and not isinstance(result, Confirmation):
            audit.record(
                ctx.session,
                agency_id=ctx.actor.agency_id,
                user_id=ctx.actor.user_id,
                action=op.name,
                now=ctx.now,
                ref=audit.ref_of(result),
            )

    @staticmethod
    async def _run(op: Operation, ctx: OperationContext, args: Any, confirmed: bool) -> Any:
        if op.preview is not None and not confirmed:
            return await op.preview(ctx, args)
        return await op.run(ctx, args)


def build_registry() -> Registry:
    from crm_core.operations import (
        activities,
        agenda,
        contacts,
        deals,
        descriptions,
        documents,
        leads,
        matching,
        notes,
        properties,
        reminders,
    )

    return Registry.from_modules(
        contacts,
        properties,
        deals,
        activities,
        reminders,
        notes,
        agenda,
        matching,
        leads,
        descriptions,
        documents,
    )
