"""Lead pages: the grid with its bulk commands, the lead form, and the commands on one lead.

Login is required everywhere (LoginRequiredMiddleware). Any signed-in user may look at any
lead; changing one needs its ownership or the sales manager permission (leads.selectors).
"""
