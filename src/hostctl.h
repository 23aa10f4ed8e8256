/* "devmgr host ...": the host daemon, and the commands that talk to it
 * (attach, detach, list, and the OCI hook). */
#ifndef DEVMGR_HOSTCTL_H
#define DEVMGR_HOSTCTL_H

/* ARGV[0] is "host". Returns the exit status. */
int host_main(int argc, char **argv);

#endif
