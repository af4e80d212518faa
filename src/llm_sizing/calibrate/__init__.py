"""Measuring a GPU (`calibrate ops`, PyTorch: an extra) and fitting the engine terms from end-to-end
runs (`calibrate runs`): what becomes a performance profile in the catalog."""
