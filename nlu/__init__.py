"""Free text -> operation calls. Does not import aiogram."""
