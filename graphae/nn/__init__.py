"""Neural building blocks: propagation, encoders, decoders."""
