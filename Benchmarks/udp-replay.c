// A sender that costs little, so that a server under test gets the machine: a pre-rendered NMEA log (cycles each
// starting with a `$PGID,ID` line, as `orbita bench generate` writes them) is read into memory, cut into one datagram
// per cycle, and replayed at a target rate of cycles per second over UDP with sendmmsg, 64 datagrams a call.
//
// usage: udp-replay FILE HOST PORT RATE SECONDS
// prints: replay sent=N seconds=S per_s=R bytes=B failed=F
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: udp-replay FILE HOST PORT RATE SECONDS\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 1; }
    char *data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (data == MAP_FAILED) { perror("mmap"); return 1; }
    double rate = atof(argv[4]), seconds = atof(argv[5]);
    // Cycle boundaries: a datagram from each "$PGID" at a line start to the next one.
    size_t capacity = 1 << 20, count = 0;
    size_t *starts = malloc(capacity * sizeof(size_t));
    for (size_t i = 0; i + 5 < (size_t)st.st_size; i++) {
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "$PGID", 5) == 0) {
            if (count == capacity) { capacity *= 2; starts = realloc(starts, capacity * sizeof(size_t)); }
            starts[count++] = i;
        }
    }
    size_t wanted = (size_t)(rate * seconds);
    if (wanted > count) {
        fprintf(stderr, "udp-replay: the file holds %zu cycles, %zu asked\n", count, wanted);
        wanted = count;
    }
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    int size = 4 << 20;
    setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
    inet_pton(AF_INET, argv[2], &to.sin_addr);
    enum { batch = 64 };
    struct mmsghdr messages[batch];
    struct iovec vectors[batch];
    size_t sent = 0, bytes = 0, failed = 0;
    double start = now();
    while (sent < wanted) {
        // Paced: the next batch goes when it is due.
        double due = start + sent / rate;
        double t = now();
        if (due > t) {
            struct timespec pause = {(time_t)(due - t), (long)((due - t - (time_t)(due - t)) * 1e9)};
            nanosleep(&pause, NULL);
        }
        int n = 0;
        for (; n < batch && sent + n < wanted; n++) {
            size_t from = starts[sent + n];
            size_t end = sent + n + 1 < count ? starts[sent + n + 1] : (size_t)st.st_size;
            vectors[n].iov_base = data + from;
            vectors[n].iov_len = end - from;
            memset(&messages[n], 0, sizeof messages[n]);
            messages[n].msg_hdr.msg_name = &to;
            messages[n].msg_hdr.msg_namelen = sizeof to;
            messages[n].msg_hdr.msg_iov = &vectors[n];
            messages[n].msg_hdr.msg_iovlen = 1;
            bytes += end - from;
        }
        int done = 0;
        while (done < n) {
            int r = sendmmsg(sock, messages + done, n - done, 0);
            if (r < 0) {
                if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue;
                failed += n - done;
                break;
            }
            done += r;
        }
        sent += n;
    }
    double elapsed = now() - start;
    printf("replay sent=%zu seconds=%.2f per_s=%.0f bytes=%zu failed=%zu\n", sent, elapsed, sent / elapsed, bytes,
           failed);
    return 0;
}
