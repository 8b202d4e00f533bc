"""Demo data: a believable sales organisation and its book of business, generated on demand.

``pipewise demo --size N --seed S`` fills an empty database with a sales team
(roles, reporting lines, teams, a territory tree), a product catalogue, accounts
and contacts, leads in every status, N opportunities with their stage histories,
and the activities and tasks that sellers log around them. The same size and
seed give the same data (relative to the day it is loaded), so screenshots,
benchmarks and bug reports can be reproduced.

This is a package, not a Django app: it owns no models. The small organisation
is written through the org services; the bulk of the records is built as model
instances and written with ``bulk_create`` in batches, which is what makes
100 000 deals load in about a minute.

Modules:
  places     the territory tree and the cities, streets, post codes and phones in it
  names      people's and companies' names, titles and the words deals are described in
  clock      the demo calendar: business days around "today", seasonal sampling
  people     the demo sales organisation, its shared password and the log-in table
  catalogue  product lines and products
  customers  accounts and contacts
  work       activities, tasks and to-do items as sellers log them
  leads      leads, their status histories and the SDR work on them
  deals      opportunities, stage histories, line items and the work around them
  writer     batched ``bulk_create`` writes, parents before children
  generate   the whole run: safety checks, one transaction, progress, report
"""
