"""Data augmentation (chapter 06): ``augment.image`` for the digits, ``augment.audio`` for speech.

The two modules share the three families of the chapter — transform the sample, perturbed copies
of the same class, synthesised new samples — so they are kept apart by modality
(``image.add_noise`` works on pixels, ``audio.add_noise`` at a chosen SNR).
"""

__all__ = []
