"""Pages for accounts, contacts and opportunities: the grids, each record's page with its
timeline, the opportunity's process bar and close dialogs, and the merge of duplicates. One
module per page or job. Login is required everywhere (LoginRequiredMiddleware); any signed-in
user may look at any record, and changing one needs its ownership or the sales manager
permission (crm.selectors.permissions)."""
