/* devmgr monitor: the kernel's uevents and the events devmgr (or udevd)
 * publishes, printed as they arrive, like "udevadm monitor --kernel
 * --udev --property": containers rarely have udevadm. */
#ifndef DEVMGR_MONITOR_H
#define DEVMGR_MONITOR_H

/* argv[0] is "monitor". Runs until killed (or COUNT events with -n);
 * the exit status. */
int monitor_main(int argc, char **argv);

#endif
