"""Every test run (the lessons under nbval included) draws the explorers as static figures.

Kernels started by nbval and nbclient inherit this process's environment. nbclient can hang on a
cell that opens widget comms (see labsupport/explore.py), so headless runs make no widgets.
"""

import os

from labsupport.explore import STATIC_ENV

os.environ.setdefault(STATIC_ENV, "1")
