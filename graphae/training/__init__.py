"""Training: the strategies (optimisers and the loss hook of a step) and the learning-rate schedules."""
