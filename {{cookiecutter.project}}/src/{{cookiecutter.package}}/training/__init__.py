"""Training: the engine (``engine.train``), its single-process runner (``local``), the
user's model as the engine meets it (``targets``), the run record (``record``) and its plots
(``plots``). Multi-worker training lives in ``distributed``."""
