"""What the bot shows people: the text catalogue, renderers and keyboards, shared by the
handlers and the background work (below both, above storage and outbox)."""
