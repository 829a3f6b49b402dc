"""labsupport: the helper package behind the A/B testing lab's notebooks.

Each module holds one idea and imports on its own, e.g.
``from labsupport import power`` or ``from labsupport.stats import two_proportion_ztest``.
"""

__version__ = "0.1.0"
