"""The owner's team: /invite (a deep link), /invites (revoke), /team (list, remove)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core import accounts, audit
from crm_core.accounts import Member
from crm_core.errors import CrmError
from crm_core.models import Role, User
from handlers.callbacks_data import Menu
from handlers.filters import IsMember
from handlers.render import Reply
from handlers.replies import error_reply, send


def _button(text: str, name: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Menu(name=name, value=value).pack())


def build_team_router() -> Router:
    router = Router(name="team")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())

    async def owner_only(message: Message, member: Member) -> bool:
        if member.actor.is_owner:
            return True
        await message.answer(_("Only the agency owner can do that."))
        return False

    @router.message(Command("invite"))
    async def invite(
        message: Message, bot: Bot, member: Member, db_session: AsyncSession, now: datetime
    ) -> None:
        if not await owner_only(message, member):
            return
        payload, created = await accounts.create_invite(db_session, member.actor, now)
        link = await create_start_link(bot, payload)
        expires = format_date(created.expires_at, "d MMMM", locale=member.user.locale)
        await send(
            message,
            Reply(
                _(
                    "Send this link to the agent you want to invite. It works once, until {date}:\n"
                    "{link}"
                ).format(date=expires, link=escape(link)),
                [[_button(_("Revoke this link"), "revoke", str(created.id))]],
            ),
        )

    @router.message(Command("invites"))
    async def invites(
        message: Message, member: Member, db_session: AsyncSession, now: datetime
    ) -> None:
        if not await owner_only(message, member):
            return
        active = await accounts.active_invites(db_session, member.actor, now)
        if not active:
            await message.answer(_("No invitation link is waiting to be used. /invite makes one."))
            return
        lines = [_("Invitation links waiting to be used:")]
        buttons = []
        for index, item in enumerate(active, start=1):
            expires = format_date(item.expires_at, "d MMMM", locale=member.user.locale)
            lines.append(
                _("{n}. made {made}, valid until {date}").format(
                    n=index,
                    made=format_date(item.created_at, "d MMMM", locale=member.user.locale),
                    date=expires,
                )
            )
            buttons.append([_button(_("Revoke link {n}").format(n=index), "revoke", str(item.id))])
        await send(message, Reply("\n".join(lines), buttons))

    @router.callback_query(Menu.filter(F.name == "revoke"))
    async def revoke(
        query: CallbackQuery,
        callback_data: Menu,
        member: Member,
        db_session: AsyncSession,
        now: datetime,
    ) -> None:
        await query.answer()
        if not isinstance(query.message, Message) or not callback_data.value.isdigit():
            return
        try:
            await accounts.revoke_invite(db_session, member.actor, int(callback_data.value), now)
        except CrmError as error:
            await send(query.message, await error_reply(error))
            return
        await query.message.answer(_("The invitation link is revoked: nobody can join with it."))

    @router.message(Command("team"))
    async def team(message: Message, member: Member, db_session: AsyncSession) -> None:
        people = await accounts.team(db_session, member.actor)
        lines = [_("<b>{agency}</b> — team").format(agency=escape(member.agency.name))]
        buttons = []
        for person in people:
            role = _("owner") if person.role == Role.OWNER else _("agent")
            you = _(" (you)") if person.id == member.user.id else ""
            lines.append(f"• {escape(person.name)} — {role}{you}")
            if member.actor.is_owner and person.role == Role.AGENT:
                buttons.append(
                    [
                        _button(
                            _("Remove {name}").format(name=person.name[:30]),
                            "remove",
                            str(person.id),
                        )
                    ]
                )
                buttons.append(
                    [
                        _button(
                            _("Make {name} owner").format(name=person.name[:30]),
                            "make_owner",
                            str(person.id),
                        )
                    ]
                )
        await send(message, Reply("\n".join(lines), buttons))

    @router.callback_query(Menu.filter(F.name == "remove"))
    async def ask_remove(query: CallbackQuery, callback_data: Menu, member: Member) -> None:
        await query.answer()
        if isinstance(query.message, Message) and callback_data.value.isdigit():
            await send(
                query.message,
                Reply(
                    _(
                        "Remove this agent from the agency? The records they created stay with the "
                        "agency."
                    ),
                    [
                        [
                            _button(_("Yes, remove"), "remove_yes", callback_data.value),
                            _button(_("No"), "remove_no"),
                        ]
                    ],
                ),
            )

    @router.callback_query(Menu.filter(F.name == "make_owner"))
    async def ask_make_owner(query: CallbackQuery, callback_data: Menu) -> None:
        await query.answer()
        if isinstance(query.message, Message) and callback_data.value.isdigit():
            await send(
                query.message,
                Reply(
                    _("Hand the agency over to this agent? You will become an agent."),
                    [
                        [
                            _button(_("Yes, make owner"), "owner_yes", callback_data.value),
                            _button(_("No"), "remove_no"),
                        ]
                    ],
                ),
            )

    async def change_member(
        query: CallbackQuery,
        callback_data: Menu,
        change: Callable[[int], Awaitable[User]],
        done: str,
    ) -> None:
        """Run one confirmed change to a member and say what it did (or why it could not)."""
        await query.answer()
        if not isinstance(query.message, Message) or not callback_data.value.isdigit():
            return
        try:
            person = await change(int(callback_data.value))
        except CrmError as error:
            await send(query.message, await error_reply(error))
            return
        await query.message.answer(done.format(name=escape(person.name)))

    @router.callback_query(Menu.filter(F.name == "owner_yes"))
    async def make_owner(
        query: CallbackQuery,
        callback_data: Menu,
        member: Member,
        db_session: AsyncSession,
        now: datetime,
    ) -> None:
        async def change(user_id: int) -> User:
            return await accounts.transfer_ownership(db_session, member.actor, user_id, now)

        await change_member(
            query, callback_data, change, _("{name} now owns the agency; you are an agent.")
        )

    @router.callback_query(Menu.filter(F.name == "remove_no"))
    async def keep(query: CallbackQuery) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(_("Cancelled. Nothing was changed."))

    @router.callback_query(Menu.filter(F.name == "remove_yes"))
    async def remove(
        query: CallbackQuery,
        callback_data: Menu,
        member: Member,
        db_session: AsyncSession,
        now: datetime,
    ) -> None:
        async def change(user_id: int) -> User:
            return await accounts.remove_agent(db_session, member.actor, user_id, now)

        await change_member(
            query, callback_data, change, _("{name} is no longer a member of the agency.")
        )

    @router.message(Command("audit"))
    async def show_audit(message: Message, member: Member, db_session: AsyncSession) -> None:
        if not member.actor.is_owner:
            await message.answer(_("Only the agency's owner can read its audit trail."))
            return
        events = await audit.latest(db_session, member.actor)
        if not events:
            await message.answer(_("The audit trail is empty."))
            return
        names = {user.id: user.name for user in await accounts.team(db_session, member.actor)}
        lines = [_("<b>Audit trail</b> (latest {count}):").format(count=len(events))]
        for entry in events:
            who = names.get(entry.user_id) if entry.user_id is not None else None
            lines.append(
                "{at} · {who} · {action}{ref}".format(
                    at=entry.at.strftime("%Y-%m-%d %H:%M"),
                    who=escape(who) if who else _("former member"),
                    action=escape(entry.action),
                    ref=f" {escape(entry.ref)}" if entry.ref else "",
                )
            )
        await message.answer("\n".join(lines))

    return router
