/*
 * Files built into the binary: LK_EMBED(sym, "path") pulls the file at path
 * into read-only data between the symbols sym and sym_end, through the
 * assembler's .incbin, so the binary needs no generated source and cannot
 * drift from the file. Paths are relative to the repository root, where
 * every build runs; the Makefile makes the object that embeds a file depend
 * on it.
 *
 * The symbols are hidden, so they resolve inside the binary without a
 * dynamic relocation; .pushsection leaves the compiler's own section choice
 * alone. The size is sym_end - sym, taken through integers (the two are
 * distinct objects).
 */
#ifndef LK_CORE_EMBED_H
#define LK_CORE_EMBED_H

#define LK_EMBED(sym, path)                                                                        \
	__asm__(".pushsection .rodata\n"                                                           \
		".balign 16\n"                                                                     \
		".globl " #sym "\n"                                                                \
		".hidden " #sym "\n" #sym ":\n"                                                    \
		".incbin \"" path "\"\n"                                                           \
		".globl " #sym "_end\n"                                                            \
		".hidden " #sym "_end\n" #sym "_end:\n"                                            \
		".popsection\n");                                                                  \
	extern const unsigned char sym[] __attribute__((visibility("hidden")));                    \
	extern const unsigned char sym##_end[] __attribute__((visibility("hidden")))

#endif
