"""The daily pull: what is read from SA for a learner, and the events it becomes."""
