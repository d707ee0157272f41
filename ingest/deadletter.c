/* deadletter.c -- placeholder, being written. */
