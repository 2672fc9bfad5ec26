"""The stack guard: tools that check the locked TensorFlow/Keras stack and the code on it.

They live beside the project's package, not in it, so they run when that package (or
``import keras``) cannot import, and they never ship in its wheel. Modules:

- ``result``: the one result type and printed line of the doctor and the smoke test;
- ``locks``: lock files, installed versions, the venv's interpreter (shared by all);
- ``doctor``: ``make doctor``, why imports fail (standard library only);
- ``smoke``: ``make smoke``, the import smoke test of the package on the locked stack;
- ``probe`` / ``stack``: the one subprocess that imports the stack and answers questions;
- ``references``: what a file imports and reaches (``ast``);
- ``verdicts`` / ``advice``: each reference judged against the installed stack;
- ``check_imports``: ``make check-imports``; ``migrate``: ``make migrate`` (libcst).
"""
