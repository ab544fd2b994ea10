/*
 * noop-hook: the cheapest possible qemu hook for the benchmark (variant 4).
 *
 * Built with `gcc -static`: no dynamic loader, no shell, no stdin read. It
 * arms the switchover hook (prints "enable" to "switchover prepare") and
 * exits 0 to every other call, so what remains of a hook call is libvirt's
 * own work (formatting the call, fork + exec, waiting) plus one exec of a
 * tiny static binary.
 *
 *   /etc/libvirt/hooks/qemu <vm> switchover prepare <dst>  ->  "enable"
 */
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[2], "switchover") == 0 &&
        strcmp(argv[3], "prepare") == 0) {
        static const char enable[] = "enable\n";
        if (write(STDOUT_FILENO, enable, sizeof(enable) - 1) < 0)
            return 1;
    }
    return 0;
}
