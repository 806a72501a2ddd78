"""A turn as an ordered list of small stages (as aiogram's middlewares): each stage either answers
the message or passes it on to the next. The order lives in one place, `bot.pipeline.gateway.stages`.
"""
