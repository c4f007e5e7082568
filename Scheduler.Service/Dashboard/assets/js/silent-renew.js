// Runs in the hidden frame of a silent renewal: hands the issuer's answer to the dashboard page that opened the frame.
import { createUserManager, loadSignInConfig } from './auth.js';

createUserManager(await loadSignInConfig()).signinSilentCallback();
