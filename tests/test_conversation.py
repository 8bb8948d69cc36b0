"""Help, languages, groups, and what the bot says to things it does not handle."""

from __future__ import annotations

import time

from aiogram.types import Chat, Message, Update, Voice
from sqlalchemy import func, select

from crm_core.models import Contact, User
from tests.harness import ChatUser, Harness


async def test_help_lists_commands_and_explains_one(owner: ChatUser, agent: ChatUser) -> None:
    turn = await owner.send("/help")
    assert "/contacts" in turn.text and "/invite" in turn.text
    assert "/invite" not in (await agent.send("/help")).text
    detail = await owner.send("/help add_contact")
    assert "/add_contact — Add a contact" in detail.text
    assert "phone=" in detail.text and "name= * " in detail.text
    assert "I do not know the command /frobnicate" in (await owner.send("/help frobnicate")).text


async def test_help_for_strangers_points_to_start(harness: Harness) -> None:
    turn = await harness.user(300, "Sam").send("/help")
    assert "Send /start to set up your agency" in turn.text


async def test_language_switch_is_stored_and_used(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/language")
    turn = await owner.press("Français")
    assert turn.text == "C'est noté : je vous répondrai désormais en français."
    async with harness.db.system_session() as session:
        locale = await session.scalar(select(User.locale).where(User.telegram_id == owner.id))
    assert locale == "fr"
    assert "/contacts" in (turn := await owner.send("/help")).text
    assert "Au quotidien" in turn.text
    await owner.send("/language")
    assert "this language" in (await owner.press("English")).text


async def test_french_user_gets_french_errors(harness: Harness) -> None:
    from tests.conftest import sign_up

    louis = harness.user(310, "Louis", language_code="fr")
    await sign_up(louis, name="Louis Leroy", language="Français")
    turn = await louis.send("/show_contact C42")
    assert turn.text == "Je ne trouve rien pour “C42” (contact)."
    turn = await louis.send("/add_contact Jeanne phone=12")
    assert "“12” n'est pas un numéro de téléphone exploitable." in turn.text


async def test_group_chat_reveals_nothing(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/add_contact Marie Dupont phone=0612345678")
    group = Chat(id=-100123, type="supergroup", title="Agency chat")
    for text in ("/contacts", "/show_contact C1", "/start", "/today"):
        turn = await owner.send(text, chat=group)
        assert turn.text == (
            "I only work in a private chat, to keep your clients' data private. "
            "Open a chat with me directly."
        ), text
    # Ordinary group chatter gets no answer at all.
    assert (await owner.send("Marie Dupont?", chat=group)).methods == []
    # A button pressed in a group (e.g. a forwarded card) is refused.
    message = Message(message_id=1, date=int(time.time()), chat=group, text="card")
    turn = await owner.press_data(message, "o:C1")
    assert turn.notices == ["I only work in a private chat."]
    assert "Marie" not in turn.text


async def test_unknown_command_and_free_text(owner: ChatUser) -> None:
    assert "I do not know that command" in (await owner.send("/frobnicate")).text
    turn = await owner.send("what is the weather")
    assert "/contacts Dupont" in turn.text and "/new" in turn.text


async def test_non_text_message(harness: Harness, owner: ChatUser) -> None:
    voice = Message(
        message_id=harness.session.next_message_id(),
        date=int(time.time()),
        chat=owner.chat,
        from_user=owner.user,
        voice=Voice(file_id="v1", file_unique_id="u1", duration=3),
    )
    # (Photos and files are documents now: see test_documents.py.)
    turn = await harness.feed(Update(update_id=9999, message=voice), owner.chat.id)
    assert "I can only read text messages" in turn.text


async def test_stale_button_from_an_unknown_user(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/add_contact Marie Dupont")
    card = owner.last_message()
    stranger = harness.user(320, "Sam")
    turn = await stranger.press_data(card, "op:delete_contact:C1:")
    assert "Send /start" in turn.text
    async with harness.db.system_session() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 1
