"""course_lib — the reference code of "From Perceptron to Speech".

Each chapter of the course builds one idea from scratch in its notebook; the same code lives
here, tested, so that later chapters can import what earlier chapters built.
"""

__version__ = "0.1.0"
