"""python-telegram-bot handlers: thin glue between updates, the domain and storage."""
