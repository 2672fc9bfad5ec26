"""Multi-worker training: the runner (``multi_worker``), ``TF_CONFIG`` checks and the
rendezvous of the workers (``cluster``, standard library only), and the launcher of a
cluster on this machine (``launch``, ``make train-cluster``). Only the training engine
imports ``multi_worker``, and only for ``strategy: multi-worker``."""
