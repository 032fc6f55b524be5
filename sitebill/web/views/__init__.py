"""The server-rendered pages, one module per area. Views are thin: they load through
`sitebill.accounts.access`, read through selectors, write through services, and render."""
