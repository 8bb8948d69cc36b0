"""Messages carrying files, photos and shared contacts, as Telegram delivers them."""

from __future__ import annotations

import itertools
import time
from typing import Any

from aiogram.types import Contact, Document, Message, PhotoSize, Update

from tests.harness import ChatUser, Turn

_update_ids = itertools.count(500_000)
_file_ids = itertools.count(1)


async def _send(user: ChatUser, **content: Any) -> Turn:
    harness = user.harness
    message = Message(
        message_id=harness.session.next_message_id(),
        date=int(time.time()),
        chat=user.chat,
        from_user=user.user,
        **content,
    )
    return await harness.feed(Update(update_id=next(_update_ids), message=message), user.chat.id)


async def send_file(
    user: ChatUser,
    name: str,
    data: bytes,
    *,
    caption: str | None = None,
    mime_type: str | None = None,
    announced_size: int | None = None,
    downloadable: bool = True,
) -> Turn:
    file_id = f"upload-{next(_file_ids)}"
    if downloadable:
        user.harness.session.add_file(file_id, data)
    document = Document(
        file_id=file_id,
        file_unique_id=f"u-{file_id}",
        file_name=name,
        mime_type=mime_type,
        file_size=len(data) if announced_size is None else announced_size,
    )
    return await _send(user, document=document, caption=caption)


async def send_photo(user: ChatUser, data: bytes, *, caption: str | None = None) -> Turn:
    file_id = f"photo-{next(_file_ids)}"
    user.harness.session.add_file(file_id, data)
    sizes = [
        PhotoSize(file_id=f"{file_id}-small", file_unique_id="s", width=90, height=90),
        PhotoSize(
            file_id=file_id,
            file_unique_id=f"u-{file_id}",
            width=1280,
            height=960,
            file_size=len(data),
        ),
    ]
    return await _send(user, photo=sizes, caption=caption)


async def share_contact(
    user: ChatUser,
    first_name: str,
    phone: str,
    *,
    last_name: str | None = None,
    vcard: str | None = None,
) -> Turn:
    contact = Contact(phone_number=phone, first_name=first_name, last_name=last_name, vcard=vcard)
    return await _send(user, contact=contact)
