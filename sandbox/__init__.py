"""Everything that is not the product: the SA stand-in, the simulated PICS, the local stack, the demo, the benches.

Only the ``demo``, ``bench`` and ``sandbox`` commands of ``pics-sync`` import it, lazily. What it needs beyond
the product is the ``sandbox`` extra (``pip install 'pics-sync[sandbox]'``); the SA stand-in needs none of it.
"""
