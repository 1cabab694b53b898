"""Commands and event handlers of the documents service: one transaction each."""
