"""The simulated PICS: a world of learners, the people in it, the changes made to them, and its store."""
