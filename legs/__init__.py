"""The domain of Heavy Legs, one Django app per job.

- `legs.knowledge`: what editors write (causes, remedies, questions, FAQ) and the snapshot
  the engine reads.
- `legs.assessment`: answers in, result out (the engine, the wizard, the result page).
- `legs.history`: what a runner keeps (episodes, follow-ups, insights, exports).

Imports run one way: knowledge ← assessment ← history.
"""
