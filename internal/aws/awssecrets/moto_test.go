package awssecrets_test

import (
	"os"
	"sync"
	"testing"

	"github.com/stepflow/stepflow/internal/aws/motoproc"
	"github.com/stepflow/stepflow/internal/testproc"
)

// moto is the package's one moto_server, started by the first test that
// needs it (each uses names of its own) and stopped by TestMain.
var moto struct {
	once sync.Once
	srv  *motoproc.Server
	err  error
	dir  string
}

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	code := m.Run()
	if moto.srv != nil {
		moto.srv.Stop()
	}
	if moto.dir != "" {
		os.RemoveAll(moto.dir)
	}
	os.Exit(code)
}

// sharedMoto returns the package's moto_server.
func sharedMoto(t *testing.T) *motoproc.Server {
	t.Helper()
	testproc.SkipShort(t, "needs moto_server")
	moto.once.Do(func() {
		if moto.dir, moto.err = os.MkdirTemp("", "stepflow-awssecrets-moto-"); moto.err == nil {
			moto.srv, moto.err = motoproc.New(moto.dir)
		}
	})
	if moto.err != nil {
		t.Fatal(moto.err)
	}
	return moto.srv
}
