"""The benchmark of Alliance Portal's read path (issue 10).

``python -m bench generate`` loads a deterministic dataset, ``python -m bench smoke`` checks
that the portal answers every workload exactly as a hand-written SQL baseline does, and
``python -m bench run`` measures both servers side by side (see ``bench/README.md``).
"""
