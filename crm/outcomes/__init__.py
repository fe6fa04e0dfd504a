"""招商 outcomes (issue 15): 到资台账, project classification and size classes, annual targets and the
year-to-date indicators every report opens with. The counting rules live here once; the dashboard,
the weekly summary and the exports read them."""
