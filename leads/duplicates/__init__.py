"""Lead-to-lead duplicates: the match keys (`keys`), the open leads that share one with a lead
(`selectors`) and the side-by-side comparison (`comparison`). Merging them is
`leads.services.merge`."""
