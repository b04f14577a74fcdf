"""attnzoo.nn.vision: attention inside CNNs, one mechanism a file, built by name from one registry.

Every module takes ``channels`` first, maps a (B, C, H, W) tensor to the same shape, and returns its
attention when called with ``return_attention=True`` (an :class:`VisionAttentionOutput`), never storing it.

>>> from attnzoo.nn.vision import create_attention, list_attention
>>> list_attention()
['cbam', 'coord', 'cse', 'eca', 'scse', 'se', 'sk', 'sse']
"""

from attnzoo.nn.vision._common import VisionAttentionOutput
from attnzoo.nn.vision.cbam import CBAM
from attnzoo.nn.vision.coord import CoordinateAttention
from attnzoo.nn.vision.eca import EfficientChannelAttention, eca_kernel_size
from attnzoo.nn.vision.registry import create_attention, list_attention, register_attention
from attnzoo.nn.vision.scse import COMBINE_RULES, ChannelSE, ChannelSpatialSE, SpatialSE
from attnzoo.nn.vision.se import SqueezeExcite
from attnzoo.nn.vision.sk import SelectiveKernel

__all__ = [
    "CBAM",
    "COMBINE_RULES",
    "ChannelSE",
    "ChannelSpatialSE",
    "CoordinateAttention",
    "EfficientChannelAttention",
    "SelectiveKernel",
    "SpatialSE",
    "SqueezeExcite",
    "VisionAttentionOutput",
    "create_attention",
    "eca_kernel_size",
    "list_attention",
    "register_attention",
]
