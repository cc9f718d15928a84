"""The Qualify screens (`qualify`) and bulk qualify from the grid with its jobs (`bulk`)."""
