/* Diagnostics: "devmgr: what failed: why" on stderr, or syslog for a
 * daemon that asked for it. */
#ifndef DEVMGR_LOG_H
#define DEVMGR_LOG_H

enum { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_verbosity(int level);
/* Names what this process's messages are about: "devmgr[TAG]: ...". */
void log_set_tag(const char *tag);
/* From now on, messages go to /dev/log (LOG_DAEMON) instead of stderr,
 * never waiting for it: what it does not take is counted and dropped. */
void log_to_syslog(void);
int log_verbosity(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
