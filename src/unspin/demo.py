"""The demo texts: a short article, a spun copy of it and a later copy by the same spinner, all
written by the unspin team."""

from __future__ import annotations

ARTICLE_ID = "harbour-bridge-2026"

ARTICLE = """\
City council approves plan to repair the old harbour bridge

The city council voted on Tuesday to spend 12 million pounds on repairs to the old harbour bridge, which has been closed to heavy traffic since March.

According to council officials, engineers found serious damage to the steel supports during a routine inspection last year. The mayor said the work would begin in the spring and should take about eighteen months.

Local businesses have complained that the closure forced delivery trucks to make a long detour through the town centre. Experts say the repairs are necessary to keep the bridge safe for the next fifty years.
"""

SPUN = """\
City council approves plan to repair the old harbour bridge

The city council voted on Tuesday to spend 12 million pounds on fixes to the aged harbour bridge, which has been closed to heavy traffic since March.

Inning accordance with council authorities, engineers discovered severe harm to the steel supports throughout a regular review last year. The mayor stated the work would commence in the spring and should take about eighteen months.

Local companies have grumbled that the closure compelled delivery trucks to make a lengthy detour through the town centre. Professionals state the repairs are essential to keep the bridge secure for the following fifty years.
"""

UNRELATED = """\
The school choir will perform its winter concert in the main hall on Friday evening. Tickets are free for parents, and the music teacher asked families to arrive early because seats are limited.
"""

# a later copy by the same spinner, of another story: what it learned from SPUN should show here
NEW_SPUN = """\
Shop owners have grumbled for months that the aged ferry is unsafe, and authorities stated last week that fixes would commence following spring, after a regular review discovered severe harm to its hull.
"""
