"""What runs keep on disk: atomic JSON and staged folders, verified checkpoints, TensorBoard
event files and scalars.csv."""
