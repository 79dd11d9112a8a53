/* int80: a static x86_64 program making the i386 getpid system call through int $0x80.
 * The i386 entry has its own syscall numbers, so a filter that checks only x86_64
 * numbers and not the architecture lets a whole second syscall table through. A correct
 * filter kills the process (SIGSYS); on a bare host it prints "survived". */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
  long ret;
  /* 20 is getpid in the i386 table (39 in x86_64's). int $0x80 from 64-bit code clobbers
   * r8-r11 on current kernels. */
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
  printf("survived int80 getpid=%ld pid=%ld\n", ret, (long)getpid());
  return 0;
}
