"""Upstream billing: MC/Client payment applications and their prefill from progress billings.

Not a Django app (no models): a client pay app is a `billing.PayApp` on a client contract, its
sources are `billing.PayAppSource` rows. `services` writes, `selectors` reads (DOMAIN.md §5.5).
"""
