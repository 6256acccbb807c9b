"""The daily pull: what is read from SA for a learner (``reads``), how each SA value is read (``items``), and the
events it becomes, encoded for Kafka (``encoding``)."""
