// Queue stress: 2 producers and 2 consumers on one bounded queue while the
// harness SIGKILLs a random one of them at random instants (most of their
// time is spent inside put/get) and starts it again.
//
//     stress_queue [SECONDS]      (default 30)
//     stress_queue SECONDS --dry  the same without killing (signal 0): the
//                                 stall the machine alone causes
//
// Prints kills, messages put, delivered, lost, duplicated, corrupted, and the
// longest stall of a survivor after a kill, whole and the queue's part;
// exits 1 if anything was lost, duplicated or corrupted, or the queue's part
// of a survivor's stall was over 10 ms more than the same measure shows
// while the run's first quarter (at most 10 s) only probes, killing nobody.
//
// How the harness tells (shared memory every process writes, outside the
// queue):
//  - put returned: producer p writes attempt[p] = seq before put(seq) and
//    acked[p] = seq + 1 after it returns; a message whose put returned is one
//    below acked. A producer killed inside put leaves seq = attempt[p] "in
//    doubt" (its put did not return: delivered or not, both are right); its
//    successor continues at attempt[p] + 1.
//  - get returned: consumer c counts delivered[p][seq] += 1 after get
//    returns. The message type's decoder (run inside get, before get takes
//    the message off the queue) writes pending[c] = the message; it is
//    cleared after the count. A consumer killed with pending[c] set died
//    inside get (or just after): that message was either left in the queue
//    (someone else delivers it) or taken by the dying consumer after the
//    commit and before get returned: "taken by a dying consumer", reported
//    apart from lost.
//  - lost: put returned, not delivered, not taken by a dying consumer.
//    duplicated: delivered more than once. corrupted: a body that is not
//    the one its producer wrote for that sequence number.
//  - stall: after each kill (once the victim is reaped) every survivor
//    reports when it completes its next operation; stall = that instant
//    minus the kill's. The longest over all kills and survivors is printed.
//  - the queue's part of a stall: from the victim's death (the harness
//    reaped it) to the survivor's operation's end, minus the time the
//    survivor spent runnable but not running meanwhile (its run-queue delay,
//    the second field of /proc/PID/schedstat, read by the harness at the
//    reaping and by the survivor at its operation's end): what remains is
//    time it ran or slept waiting on the queue (a repair, a slice); the
//    run-queue delay subtracted is the longest of any survivor's over that
//    interval (a consumer sleeps while the producer it waits for waits for a
//    CPU: that is the machine's too). Before
//    the death, a lock the victim held is still held: how long a SIGKILLed
//    process takes to die is the scheduler's and the kernel's (printed as
//    kill-to-reaped). On a loaded machine (2 cores, 5 processes here plus
//    whatever else runs) the run-queue delay alone passes 10 ms: the
//    criterion is the queue's part.
#include <mproc/mproc.hpp>

#include <boost/serialization/split_member.hpp>
#include <boost/serialization/string.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <optional>
#include <random>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
}

namespace {

constexpr int producers = 2;
constexpr int consumers = 2;
constexpr int roles = producers + consumers;
constexpr std::uint64_t max_seq = std::uint64_t{1} << 26;  // per producer

struct shared_state {
    std::atomic<std::int64_t> attempt[producers];
    std::atomic<std::int64_t> acked[producers];
    std::atomic<std::uint64_t> pending[consumers];  // (p << 40 | seq) + 1, or 0
    std::atomic<std::uint64_t> ops[roles];          // completed operations
    std::atomic<int> in_op[roles];                  // inside put/get now
    std::atomic<int> want_time[roles];              // the harness asks for the next op's end
    std::atomic<std::int64_t> op_end_ns[roles];     // ...and the survivor tells it
    std::atomic<std::int64_t> delay_at_death[roles];  // run-queue delay (ns) when the victim was reaped
    std::atomic<std::int64_t> delay_at_end[roles][roles];  // ...and at survivor r's op's end, of each s
    std::atomic<pid_t> pid[roles];
    std::atomic<std::int64_t> kill_ns;              // when the last kill was sent
    std::atomic<std::uint64_t> corrupted;
    std::atomic<int> stop;
    std::atomic<int> draining;
};

shared_state* shared = nullptr;
std::atomic<std::uint8_t>* delivered = nullptr;  // [producer][seq]
int my_consumer = -1;

// The run-queue delay of `pid` (0: this process) so far, in ns: time it was
// runnable and waited for a CPU. -1 when unknown.
std::int64_t run_delay_ns(pid_t pid) {
    char path[64];
    if (pid)
        std::snprintf(path, sizeof path, "/proc/%d/schedstat", static_cast<int>(pid));
    else
        std::snprintf(path, sizeof path, "/proc/self/schedstat");
    FILE* f = std::fopen(path, "r");
    if (!f) return -1;
    unsigned long long run = 0, delay = 0;
    const int got = std::fscanf(f, "%llu %llu", &run, &delay);
    std::fclose(f);
    return got == 2 ? static_cast<std::int64_t>(delay) : -1;
}

std::atomic<std::uint8_t>& delivered_at(int p, std::uint64_t seq) { return delivered[p * max_seq + seq]; }

template <class T>
T* map_shared(std::size_t count) {
    void* mem = ::mmap(nullptr, sizeof(T) * count, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
    if (mem == MAP_FAILED) {
        std::perror("mmap");
        std::exit(2);
    }
    return static_cast<T*>(mem);
}

// Mostly small messages, every 64th spanning two segments (100 KB).
std::size_t body_size(std::uint64_t seq) { return seq % 64 == 63 ? 100000 : 16 + (seq * 7919) % 2048; }
std::string body_of(int p, std::uint64_t seq) {
    std::string s(body_size(seq), '\0');
    std::uint64_t x = seq * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(p);
    for (std::size_t i = 0; i < s.size(); i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        std::memcpy(s.data() + i, &x, std::min<std::size_t>(8, s.size() - i));
    }
    return s;
}

struct message {
    std::uint32_t producer = 0;
    std::uint64_t seq = 0;
    std::string body;

    template <class Archive>
    void save(Archive& ar, const unsigned) const {
        ar << producer << seq << body;
    }
    // Runs inside get(), before the queue lets the message go: the harness
    // learns which message this consumer holds.
    template <class Archive>
    void load(Archive& ar, const unsigned) {
        ar >> producer >> seq;
        if (my_consumer >= 0 && producer < producers)
            shared->pending[my_consumer].store((std::uint64_t{producer} << 40 | seq) + 1);
        ar >> body;
    }
    BOOST_SERIALIZATION_SPLIT_MEMBER()
};

// After each completed put/get: the end of the first one after a kill, when
// the harness asks.
void op_done(int role) {
    shared->ops[role].fetch_add(1, std::memory_order_relaxed);
    if (!shared->want_time[role].load(std::memory_order_relaxed)) return;
    const std::int64_t t = now_ns();
    if (t > shared->kill_ns.load() && shared->want_time[role].exchange(0)) {
        for (int s = 0; s < roles; ++s) shared->delay_at_end[role][s].store(run_delay_ns(shared->pid[s].load()));
        shared->op_end_ns[role].store(t);
    }
}

void producer_main(mp::Queue<message> q, int p) {
    std::int64_t seq = std::max(shared->acked[p].load(), shared->attempt[p].load() + 1);
    std::vector<std::string> bodies;
    while (!shared->stop.load() && seq < static_cast<std::int64_t>(max_seq)) {
        message m{static_cast<std::uint32_t>(p), static_cast<std::uint64_t>(seq), body_of(p, seq)};
        shared->attempt[p].store(seq);
        shared->in_op[p].store(1);
        q.put(m);
        shared->in_op[p].store(0);
        shared->acked[p].store(seq + 1);
        op_done(p);
        ++seq;
    }
}

void consumer_main(mp::Queue<message> q, int c) {
    my_consumer = c;
    const int role = producers + c;
    for (;;) {
        shared->in_op[role].store(1);
        std::optional<message> m;
        try {
            m = q.try_get(100ms);
        } catch (const mp::ProtocolError&) {
            shared->corrupted.fetch_add(1);
        }
        shared->in_op[role].store(0);
        if (!m) {
            shared->pending[c].store(0);
            if (shared->draining.load()) return;
            continue;
        }
        // Counted as soon as get returned; checked afterwards.
        const bool known = m->producer < producers && m->seq < max_seq;
        if (known) delivered_at(static_cast<int>(m->producer), m->seq).fetch_add(1);
        shared->pending[c].store(0);
        if (!known || m->body != body_of(static_cast<int>(m->producer), m->seq)) shared->corrupted.fetch_add(1);
        op_done(role);
    }
}

pid_t start_role(mp::Queue<message>& q, int role) {
    pid_t pid = ::fork();
    if (pid < 0) {
        std::perror("fork");
        std::exit(2);
    }
    if (pid == 0) {
        if (role < producers)
            producer_main(q, role);
        else
            consumer_main(q, role - producers);
        ::_exit(0);
    }
    return pid;
}

int dev_shm_entries() {
    int n = 0;
    if (DIR* d = ::opendir("/dev/shm")) {
        while (dirent* e = ::readdir(d))
            if (std::strstr(e->d_name, "mproc")) ++n;
        ::closedir(d);
    }
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 30.0;
    const bool dry = argc > 2 && std::strcmp(argv[2], "--dry") == 0;
    shared = new (map_shared<shared_state>(1)) shared_state{};
    for (int p = 0; p < producers; ++p) shared->attempt[p] = -1;
    delivered = map_shared<std::atomic<std::uint8_t>>(producers * max_seq);

    mp::Queue<message> q(256);
    std::vector<pid_t> pids(roles);
    for (int r = 0; r < roles; ++r) shared->pid[r] = pids[r] = start_role(q, r);

    std::mt19937 rng(std::random_device{}());
    std::vector<std::uint64_t> taken_by_dying;  // (p << 40 | seq) + 1
    std::vector<std::pair<int, std::int64_t>> in_doubt;
    std::uint64_t kills = 0, kills_inside_op = 0, probes = 0;
    double longest_stall_ms = 0, longest_queue_ms = 0, longest_death_ms = 0, longest_delay_ms = 0;
    std::uint64_t long_stalls = 0, long_queue_stalls = 0;
    // The first part of a run only probes (no kill): what the machine alone
    // makes of a survivor's "queue's part" on this load, the baseline the
    // kills are judged against.
    const auto start = steady::now();
    const auto probe_until = dry ? start : start + std::chrono::duration<double>(std::min(10.0, seconds / 4));
    double longest_probe_queue_ms = 0;
    const auto end = steady::now() + std::chrono::duration<double>(seconds);
    while (steady::now() < end) {
        const bool probing = dry || steady::now() < probe_until;
        std::this_thread::sleep_for(std::chrono::microseconds(200 + rng() % 1800));
        const int victim = static_cast<int>(rng() % roles);
        const auto killed_at = steady::now();
        // Survivors will report the end of their first operation after this.
        const std::int64_t killed_ns = now_ns();
        std::int64_t dead_ns = killed_ns;  // dry: nobody dies
        shared->kill_ns.store(killed_ns);
        for (int r = 0; r < roles; ++r) {
            shared->op_end_ns[r].store(0);
            shared->delay_at_death[r].store(-1);
            shared->want_time[r].store(r != victim ? 1 : 0);
        }
        if (probing) {
            ++probes;
            for (int r = 0; r < roles; ++r)
                if (r != victim) shared->delay_at_death[r].store(run_delay_ns(pids[r]));
        } else {
            kills_inside_op += shared->in_op[victim].load() ? 1 : 0;
            ::kill(pids[victim], SIGKILL);
            int status = 0;
            ::waitpid(pids[victim], &status, 0);
            dead_ns = now_ns();
            for (int r = 0; r < roles; ++r)
                if (r != victim) shared->delay_at_death[r].store(run_delay_ns(pids[r]));
            longest_death_ms = std::max(longest_death_ms, double(dead_ns - killed_ns) / 1e6);
            ++kills;
        }
        if (probing) {
        } else if (victim < producers) {
            if (shared->acked[victim].load() <= shared->attempt[victim].load())
                in_doubt.emplace_back(victim, shared->attempt[victim].load());
        } else if (const std::uint64_t held = shared->pending[victim - producers].exchange(0)) {
            taken_by_dying.push_back(held);
        }
        shared->in_op[victim].store(0);
        // The kill to a survivor's next completed operation, as the survivor
        // saw it (neither the victim's exit nor the harness's own scheduling
        // counts).
        for (int r = 0; r < roles; ++r) {
            if (r == victim) continue;
            while (shared->op_end_ns[r].load() == 0 && steady::now() - killed_at < 5s)
                std::this_thread::sleep_for(50us);
            const std::int64_t end_ns = shared->op_end_ns[r].load();
            const double ms = end_ns ? double(end_ns - killed_ns) / 1e6 : 5000.0;  // 5 s: never
            // The longest any survivor waited for a CPU meanwhile (a consumer
            // waits for a producer that waits for a CPU).
            const bool after_death = end_ns > dead_ns;
            double waited_ms = 0.0;
            for (int s2 = 0; s2 < roles && after_death; ++s2) {
                if (s2 == victim) continue;
                const std::int64_t d0 = shared->delay_at_death[s2].load(), d1 = shared->delay_at_end[r][s2].load();
                if (d0 >= 0 && d1 >= d0) waited_ms = std::max(waited_ms, double(d1 - d0) / 1e6);
            }
            const double queue_ms =
                !end_ns ? 5000.0 : after_death ? std::max(0.0, double(end_ns - dead_ns) / 1e6 - waited_ms) : 0.0;
            if (ms > 10.0 && !(probing && !dry)) ++long_stalls;
            if (queue_ms > 10.0 && !(probing && !dry)) {
                ++long_queue_stalls;
                if (long_queue_stalls <= 5)
                    std::printf("  stall %.1f ms (death %.1f ms after the kill, then %.1f ms waiting for a CPU): survivor %s%d after %s %s%d\n",
                                ms, double(dead_ns - killed_ns) / 1e6, waited_ms,
                                r < producers ? "producer " : "consumer ", r % producers, probing ? "probing" : "killing",
                                victim < producers ? "producer " : "consumer ", victim % producers);
            }
            if (probing && !dry) {
                longest_probe_queue_ms = std::max(longest_probe_queue_ms, queue_ms);
                continue;
            }
            longest_stall_ms = std::max(longest_stall_ms, ms);
            longest_queue_ms = std::max(longest_queue_ms, queue_ms);
            longest_delay_ms = std::max(longest_delay_ms, waited_ms);
        }
        if (!probing) shared->pid[victim] = pids[victim] = start_role(q, victim);
    }

    // Stop: producers end after their put; consumers drain the queue.
    shared->stop.store(1);
    for (int p = 0; p < producers; ++p) ::waitpid(pids[p], nullptr, 0);
    shared->draining.store(1);
    for (int c = 0; c < consumers; ++c) ::waitpid(pids[producers + c], nullptr, 0);

    std::uint64_t put = 0, delivered_n = 0, lost = 0, duplicated = 0, dying = 0;
    std::sort(taken_by_dying.begin(), taken_by_dying.end());
    auto doubtful = [&](int p, std::int64_t seq) {
        return std::find(in_doubt.begin(), in_doubt.end(), std::make_pair(p, seq)) != in_doubt.end();
    };
    for (int p = 0; p < producers; ++p) {
        const std::int64_t acked = shared->acked[p].load();
        for (std::int64_t seq = 0; seq < acked; ++seq) {
            const unsigned n = delivered_at(p, static_cast<std::uint64_t>(seq)).load();
            delivered_n += n;
            if (n > 1) duplicated += n - 1;
            if (doubtful(p, seq)) continue;
            ++put;
            if (n == 0) {
                const std::uint64_t key = (std::uint64_t(p) << 40 | std::uint64_t(seq)) + 1;
                if (std::binary_search(taken_by_dying.begin(), taken_by_dying.end(), key))
                    ++dying;
                else
                    ++lost;
            }
        }
    }
    const std::uint64_t corrupted = shared->corrupted.load();
    const int shm = dev_shm_entries();
    std::printf("stress_queue: %.0f s, 2 producers + 2 consumers, queue maxsize 256%s\n", seconds,
                dry ? " (dry: no kill, the stall is the machine's)" : "");
    if (dry) std::printf("  probes                %llu\n", static_cast<unsigned long long>(probes));
    std::printf("  kills                 %llu (%llu while the victim was inside put/get)\n",
                static_cast<unsigned long long>(kills), static_cast<unsigned long long>(kills_inside_op));
    std::printf("  put (returned)        %llu (+%zu in doubt: the producer died inside put)\n",
                static_cast<unsigned long long>(put), in_doubt.size());
    std::printf("  delivered             %llu\n", static_cast<unsigned long long>(delivered_n));
    std::printf("  lost                  %llu\n", static_cast<unsigned long long>(lost));
    std::printf("  taken by a dying consumer (after get's commit, before it returned) %llu\n",
                static_cast<unsigned long long>(dying));
    std::printf("  duplicated            %llu\n", static_cast<unsigned long long>(duplicated));
    std::printf("  corrupted             %llu\n", static_cast<unsigned long long>(corrupted));
    std::printf("  longest survivor stall after a %s  %.2f ms (%llu stalls over 10 ms)\n", dry ? "probe" : "kill",
                longest_stall_ms, static_cast<unsigned long long>(long_stalls));
    std::printf("    a survivor waiting for a CPU after the victim's death: up to %.2f ms\n", longest_delay_ms);
    std::printf("    the queue's part (death to the op's end - run-queue delay): longest %.2f ms (%llu over 10 ms)\n",
                longest_queue_ms,
                static_cast<unsigned long long>(long_queue_stalls));
    std::printf("  longest kill-to-reaped of a victim  %.2f ms\n", longest_death_ms);
    // Judged: the queue's part beyond what probing without kills showed.
    const double allowed_ms = 10.0 + longest_probe_queue_ms;
    if (!dry)
        std::printf("  the same measured while probing without kills (first %.0f s): longest %.2f ms; allowed %.2f ms\n",
                    std::min(10.0, seconds / 4), longest_probe_queue_ms, allowed_ms);
    std::printf("  /dev/shm entries      %d\n", shm);
    const bool ok = lost == 0 && duplicated == 0 && corrupted == 0 && shm == 0 && longest_queue_ms <= allowed_ms;
    std::printf("stress_queue: %s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
