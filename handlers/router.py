"""All routers, in the order they are tried. Built fresh for each Dispatcher."""

from __future__ import annotations

from aiogram import Router
from aiogram.utils.i18n import I18n

from crm_core.registry import Registry
from handlers.chat import build_chat_router
from handlers.descriptions import build_descriptions_router
from handlers.documents import build_documents_router
from handlers.erasure import build_erasure_router
from handlers.forms import build_forms_router
from handlers.groups import build_groups_router
from handlers.help import build_help_router
from handlers.imports import build_imports_router
from handlers.notifications import build_notifications_router
from handlers.onboarding import build_onboarding_router
from handlers.policy import build_policy_router
from handlers.portability import build_portability_router
from handlers.privacy import build_privacy_router
from handlers.records import build_records_router
from handlers.stats import build_stats_router
from handlers.team import build_team_router
from nlu.interpreter import Interpreter


def build_router(registry: Registry, i18n: I18n, interpreter: Interpreter) -> Router:
    root = Router(name="root")
    root.include_routers(
        build_groups_router(),  # first: nothing below may answer in a group
        build_onboarding_router(i18n),
        build_policy_router(),  # a changed privacy policy is accepted before anything else
        build_privacy_router(),
        build_portability_router(),
        build_erasure_router(),
        build_help_router(registry, i18n),
        build_team_router(),
        build_stats_router(),
        build_forms_router(),
        build_notifications_router(),  # before records: /digest is not an operation
        build_records_router(registry),
        build_descriptions_router(),
        build_imports_router(),  # before documents: .csv/.vcf files and shared contacts
        build_documents_router(),  # photos and files; before chat, which refuses non-text
        build_chat_router(interpreter),  # last: free text and everything unmatched
    )
    return root
