"""Project reports: the project dashboard's figures (`selectors`), its chart (`svg`) and its
downloads (`exports`).

A plain package, not a Django app: no models, no migrations. Reads only, through the access
helpers of `sitebill.accounts.access`; every amount is a `Decimal` computed by
`sitebill.billing.calculations` (through `sitebill.billing.selectors.figures_for_lines`) or
summed from stored amounts, never a float. The chart and the files are pure functions of the
selector's `Dashboard`.
"""
