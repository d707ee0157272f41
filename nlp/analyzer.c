/* analyzer.c -- placeholder, being written. */
