"""The CRM domain: models, tenancy, operations. Imports nothing from aiogram or anthropic."""
