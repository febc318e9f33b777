"""One training loop for every neural model, with the remedies for exploding and vanishing
gradients (clipping by norm and by value, the Pascanu et al. 2013 regularizer) and safe
checkpoints."""

from seqlab.training.checkpoint import *  # noqa: F403
from seqlab.training.clipping import *  # noqa: F403
from seqlab.training.regularizers import *  # noqa: F403
from seqlab.training.trainer import *  # noqa: F403
