/* cmd_replay.c -- placeholder, being written. */
