/* libblkid's values as udev's blkid builtin (systemd 252) names and
 * encodes them: the _ENC forms that links are made of, the safe forms,
 * the values passed as they are. Expected strings were checked against
 * udevadm test-builtin blkid on real filesystems (a label "a/b c\d"
 * gives ID_FS_LABEL=a/b_c\d, ID_FS_LABEL_ENC=a\x2fb\x20c\x5cd). */
#include "tap.h"
#include "fsprobe.h"

static struct devprops p;

static const char *map(const char *name, const char *value, const char *key)
{
	devprops_init(&p);
	fsprobe_map(name, value, &p);
	return devprops_get(&p, key);
}

int main(void)
{
#ifdef HAVE_BLKID
	is_str(map("TYPE", "ext4", "ID_FS_TYPE"), "ext4", "TYPE -> ID_FS_TYPE");
	is_str(map("USAGE", "filesystem", "ID_FS_USAGE"), "filesystem", "USAGE -> ID_FS_USAGE");
	is_str(map("LABEL", "a/b c\\d", "ID_FS_LABEL"), "a/b_c\\d", "LABEL: the safe form");
	is_str(map("LABEL", "a/b c\\d", "ID_FS_LABEL_ENC"), "a\\x2fb\\x20c\\x5cd",
	       "LABEL: the encoded form, no '/' left");
	is_str(map("LABEL", "x\xffy", "ID_FS_LABEL"), "x_y", "invalid UTF-8: '_' in the safe form");
	is_str(map("LABEL", "x\xffy", "ID_FS_LABEL_ENC"), "x\\xffy", "... \\xff when encoded");
	is_str(map("LABEL", "\xc3\xa9/\xc3\xbc", "ID_FS_LABEL_ENC"), "\xc3\xa9\\x2f\xc3\xbc",
	       "valid UTF-8 stays as it is");
	is_str(map("LABEL", "a\nb", "ID_FS_LABEL"), "a_b", "a newline never reaches a value");
	is_str(map("UUID", "5EE4-1CAF", "ID_FS_UUID_ENC"), "5EE4-1CAF", "UUID -> ID_FS_UUID_ENC");
	is_str(map("UUID_SUB", "abc", "ID_FS_UUID_SUB"), "abc", "UUID_SUB -> ID_FS_UUID_SUB");
	is_str(map("PTTYPE", "gpt", "ID_PART_TABLE_TYPE"), "gpt", "PTTYPE -> ID_PART_TABLE_TYPE");
	is_str(map("PTUUID", "84ead5b5", "ID_PART_TABLE_UUID"), "84ead5b5", "PTUUID");
	is_str(map("PART_ENTRY_NAME", "DATA one", "ID_PART_ENTRY_NAME"), "DATA\\x20one",
	       "PART_ENTRY_NAME is encoded (no safe form)");
	is_str(map("PART_ENTRY_NAME", "../../etc", "ID_PART_ENTRY_NAME"), "..\\x2f..\\x2fetc",
	       "... a hostile name has no '/' left");
	is_str(map("PART_ENTRY_NUMBER", "1", "ID_PART_ENTRY_NUMBER"), "1",
	       "other PART_ENTRY_* pass with ID_ before them");
	is_str(map("PART_ENTRY_DISK", "7:2", "ID_PART_ENTRY_DISK"), "7:2", "PART_ENTRY_DISK");
	is_str(map("APPLICATION_ID", "GENISO IMAGE", "ID_FS_APPLICATION_ID"), "GENISO\\x20IMAGE",
	       "ISO ids are encoded");
	is_str(map("VERSION", "1\n0", "ID_FS_VERSION"), "1_0",
	       "a raw value with a control character is made safe for the database");
	ok(map("SEC_TYPE", "ext2", "ID_FS_SEC_TYPE") == NULL && p.nprop == 0,
	   "SEC_TYPE: not a udev property");
	ok(map("EXT_JOURNAL", "x", "ID_FS_EXT_JOURNAL") == NULL && p.nprop == 0, "EXT_JOURNAL: neither");

	char big[2000];
	memset(big, '/', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *enc = map("LABEL", big, "ID_FS_LABEL_ENC");
	ok(enc && strlen(enc) == 4 * 255, "a label of 1999 bytes: cut at 255, encoded whole");
#else
	ok(1, "built without libblkid: nothing is mapped");
#endif
	return done_testing();
}
