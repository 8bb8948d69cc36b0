"""Guided forms: ask for an operation's arguments one at a time (``/new``, and the card
buttons "Note", "Remind", "Edit"...). Each answer is checked by the operation's own input
model as it is typed; the operation runs once, at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.settings import Settings
from crm_core.errors import CrmError, InvalidInput
from crm_core.models import ActivityKind, ContactRole, PropertyStatus, PropertyType, Transaction
from crm_core.operations.common import parse_ref
from crm_core.operations.contacts import CONTACT_FIELDS
from crm_core.operations.properties import PROPERTY_FIELDS
from crm_core.service import CrmService
from handlers import labels
from handlers.actions import perform
from handlers.callbacks_data import EditField, FormAnswer, StartForm
from handlers.command_args import REF_FIELDS
from handlers.filters import IsMember
from handlers.render import Reply, edit_buttons
from handlers.replies import error_reply, invalid_input_text, send

SKIP = "-"


class FormState(StatesGroup):
    filling = State()


@dataclass(frozen=True)
class Step:
    field: str
    optional: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    operation: str
    steps: tuple[Step, ...]
    fixed: dict[str, str] = field(default_factory=dict)


PROMPTS: dict[str, Any] = {
    "name": __("What is the contact's full name?"),
    "role": __("Is this person a buyer, seller, tenant, landlord or investor?"),
    "phone": __("Phone number?"),
    "email": __("Email address?"),
    "city": __("Which city?"),
    "budget_max": __("Maximum budget? (e.g. 350k)"),
    "property_type": __("What kind of property?"),
    "transaction": __("For sale or for rent?"),
    "address": __("Address?"),
    "price": __("Price? (e.g. 350000, 350k, or the monthly rent)"),
    "surface_m2": __("Surface in m²?"),
    "rooms": __("Number of rooms? (e.g. 3, T3, studio)"),
    "contact": __("Which client? (short ref like C12, or a name)"),
    "property": __("Which property? (short ref like P3)"),
    "amount": __("Amount?"),
    "text": __("What is it about?"),
    "due_at": __("When? (e.g. tomorrow 10:00, 24/12 18:00, in 2 hours)"),
    "summary": __("What was said?"),
    "status": __("New status?"),
}

# Every stored field can be edited from a card.
CONTACT_EDITABLE = CONTACT_FIELDS
PROPERTY_EDITABLE = PROPERTY_FIELDS
CHOICES: dict[str, tuple[str, ...]] = {
    "role": tuple(ContactRole),
    "property_type": tuple(PropertyType),
    "transaction": tuple(Transaction),
    "status": tuple(PropertyStatus),
    "kind": tuple(ActivityKind),
}
UPDATE_OPERATION = {"C": "update_contact", "P": "update_property", "D": "update_deal"}


def _link(ref: str) -> dict[str, str]:
    parsed = parse_ref(ref)
    return {REF_FIELDS[parsed[0]]: ref} if parsed and parsed[0] in REF_FIELDS else {}


def build_form(name: str, ref: str) -> Form | None:
    link = _link(ref)
    if name == "contact":
        return Form(
            "add_contact",
            (
                Step("name"),
                Step("role", choices=CHOICES["role"]),
                Step("phone", True),
                Step("email", True),
                Step("city", True),
                Step("budget_max", True),
            ),
        )
    if name == "property":
        return Form(
            "add_property",
            (
                Step("property_type", choices=CHOICES["property_type"]),
                Step("transaction", choices=CHOICES["transaction"]),
                Step("city"),
                Step("address", True),
                Step("price", True),
                Step("surface_m2", True),
                Step("rooms", True),
            ),
        )
    if name == "deal":
        steps = [
            Step(f, optional=f == "property") for f in ("contact", "property") if f not in link
        ]
        return Form("create_deal", (*steps, Step("amount", True)), link)
    if not link:
        return None
    forms = {
        "note": Form("add_note", (Step("text"),), link),
        "remind": Form("add_reminder", (Step("due_at"), Step("text")), link),
        "call": Form("log_activity", (Step("summary", True),), {**link, "kind": "call"}),
        "amount": Form("update_deal", (Step("amount"),), link),
        "status": Form("update_property", (Step("status", choices=CHOICES["status"]),), link),
    }
    return forms.get(name)


# Steps that name a record are checked as they are answered, not at the end of the form.
RECORD_STEPS = {"contact": "show_contact", "property": "show_property"}


async def _existing_record(
    message: Message, crm: CrmService, field_name: str, value: str
) -> str | None:
    """The short ref `value` names, or None after telling the user why it names nothing."""
    try:
        card = await crm.run(RECORD_STEPS[field_name], {field_name: value})
    except CrmError as error:
        await send(message, await error_reply(error))
        return None
    return str(getattr(card, field_name).ref)


def _prompt(step: Step) -> Reply:
    text = str(PROMPTS.get(step.field) or _("{field}?").format(field=labels.field(step.field)))
    buttons = [
        InlineKeyboardButton(
            text=labels.choice(value), callback_data=FormAnswer(value=value).pack()
        )
        for value in step.choices
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if step.optional:
        rows.append(
            [InlineKeyboardButton(text=_("Skip"), callback_data=FormAnswer(value=SKIP).pack())]
        )
    return Reply(text + "\n" + _("(/cancel to stop)"), rows)


async def start_form(message: Message, state: FSMContext, form: Form) -> None:
    await state.set_state(FormState.filling)
    await state.set_data(
        {
            "form": {
                "operation": form.operation,
                "steps": [[s.field, s.optional, list(s.choices)] for s in form.steps],
                "args": dict(form.fixed),
                "index": 0,
            }
        }
    )
    await send(message, _prompt(form.steps[0]))


async def _answer(
    message: Message, state: FSMContext, crm: CrmService, settings: Settings, value: str | None
) -> None:
    data = (await state.get_data()).get("form")
    if not data:
        await state.clear()
        return
    steps = [Step(f, o, tuple(c)) for f, o, c in data["steps"]]
    step = steps[data["index"]]
    args = dict(data["args"])
    if value is not None:
        args[step.field] = value
        try:
            crm.validate(data["operation"], args)
        except InvalidInput as error:
            own = [p for p in error.problems if p[0] == step.field]
            if own:
                await send(message, Reply(invalid_input_text(InvalidInput(own))))
                await send(message, _prompt(step))
                return
        if step.field in RECORD_STEPS:
            ref = await _existing_record(message, crm, step.field, value)
            if ref is None:
                await send(message, _prompt(step))
                return
            args[step.field] = ref
    elif not step.optional:
        await send(message, _prompt(step))
        return
    data.update(args=args, index=data["index"] + 1)
    if data["index"] < len(steps):
        await state.update_data(form=data)
        await send(message, _prompt(steps[data["index"]]))
        return
    await state.clear()
    await perform(message, crm, state, settings.confirmation_ttl_seconds, data["operation"], args)


def build_forms_router() -> Router:
    router = Router(name="forms")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer(_("Cancelled. Nothing was saved."))

    @router.message(Command("new"))
    async def new(message: Message, state: FSMContext) -> None:
        await state.clear()
        buttons = [
            [
                InlineKeyboardButton(
                    text=_("👤 Contact"), callback_data=StartForm(form="contact").pack()
                ),
                InlineKeyboardButton(
                    text=_("🏠 Property"), callback_data=StartForm(form="property").pack()
                ),
                InlineKeyboardButton(
                    text=_("🤝 Deal"), callback_data=StartForm(form="deal").pack()
                ),
            ]
        ]
        await send(message, Reply(_("What do you want to add?"), buttons))

    @router.callback_query(StartForm.filter(F.form == "edit"))
    async def choose_field(query: CallbackQuery, callback_data: StartForm) -> None:
        await query.answer()
        prefix = callback_data.ref[:1]
        fields = CONTACT_EDITABLE if prefix == "C" else PROPERTY_EDITABLE if prefix == "P" else ()
        if isinstance(query.message, Message) and fields:
            await send(
                query.message,
                Reply(
                    _("What do you want to change on {ref}?").format(ref=callback_data.ref),
                    edit_buttons(callback_data.ref, fields),
                ),
            )

    @router.callback_query(StartForm.filter())
    async def start(query: CallbackQuery, callback_data: StartForm, state: FSMContext) -> None:
        await query.answer()
        form = build_form(callback_data.form, callback_data.ref)
        if form is not None and isinstance(query.message, Message):
            await start_form(query.message, state, form)

    @router.callback_query(EditField.filter())
    async def edit(query: CallbackQuery, callback_data: EditField, state: FSMContext) -> None:
        await query.answer()
        operation = UPDATE_OPERATION.get(callback_data.ref[:1])
        if operation is None or not isinstance(query.message, Message):
            return
        step = Step(
            callback_data.field,
            optional=callback_data.field not in ("name", "title"),
            choices=CHOICES.get(callback_data.field, ()),
        )
        await start_form(query.message, state, Form(operation, (step,), _link(callback_data.ref)))

    @router.message(FormState.filling, F.text & ~F.text.startswith("/"))
    async def typed(
        message: Message, state: FSMContext, crm: CrmService, settings: Settings
    ) -> None:
        await _answer(message, state, crm, settings, message.text)

    @router.callback_query(FormState.filling, FormAnswer.filter())
    async def pressed(
        query: CallbackQuery,
        callback_data: FormAnswer,
        state: FSMContext,
        crm: CrmService,
        settings: Settings,
    ) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            value = None if callback_data.value == SKIP else callback_data.value
            await _answer(query.message, state, crm, settings, value)

    @router.callback_query(FormAnswer.filter())
    async def stale(query: CallbackQuery) -> None:
        await query.answer(_("This question is closed."))

    return router
